-- Refunds can never exceed what was captured for an order; any row returned fails the test.
select
    order_id,
    gross_amount,
    refunded_amount
from {{ ref('fct_orders') }}
where refunded_amount > gross_amount
