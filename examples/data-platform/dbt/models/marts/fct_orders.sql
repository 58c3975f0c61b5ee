-- One row per order with its payment totals.
-- Incremental on order_id (configured in dbt_project.yml): each run rebuilds
-- the orders updated, or paid for, within the lookback window and upserts them.

with orders as (

    select * from {{ ref('stg_orders') }}

),

payments as (

    select * from {{ ref('stg_payments') }}

),

order_payments as (

    select
        order_id,
        sum(case when payment_status = 'succeeded' then amount else 0 end) as gross_amount,
        sum(case when payment_status = 'refunded' then amount else 0 end)  as refunded_amount,
        count(*)                                                           as payment_count,
        max(updated_at)                                                    as last_payment_at
    from payments
    group by order_id

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        orders.order_status,
        orders.currency,
        orders.ordered_at,
        coalesce(order_payments.gross_amount, 0)                      as gross_amount,
        coalesce(order_payments.refunded_amount, 0)                   as refunded_amount,
        coalesce(order_payments.gross_amount, 0)
            - coalesce(order_payments.refunded_amount, 0)             as net_amount,
        coalesce(order_payments.payment_count, 0)                     as payment_count,
        greatest(orders.updated_at, order_payments.last_payment_at)   as updated_at
    from orders
    left join order_payments using (order_id)

)

select * from final

{% if is_incremental() %}
where updated_at >= (
    select max(updated_at) - interval '{{ var("orders_lookback_days") }} days' from {{ this }}
)
{% endif %}
