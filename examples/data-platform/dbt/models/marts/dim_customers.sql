-- One row per customer with lifetime order stats and a CRM segment.
-- The contract (models/marts/schema.yml) is enforced: keep the casts in step
-- with the declared data types.

with customers as (

    select * from {{ ref('stg_customers') }}

),

customer_orders as (

    select
        customer_id,
        min(ordered_at)   as first_order_at,
        max(ordered_at)   as last_order_at,
        count(*)          as lifetime_orders,
        sum(net_amount)   as lifetime_value
    from {{ ref('fct_orders') }}
    where order_status <> 'cancelled'
    group by customer_id

)

select
    customers.customer_id::bigint                           as customer_id,
    customers.email::text                                   as email,
    customers.first_name::text                              as first_name,
    customers.last_name::text                               as last_name,
    customers.country_code::text                            as country_code,
    customers.created_at::timestamp                         as created_at,
    customer_orders.first_order_at::timestamp               as first_order_at,
    customer_orders.last_order_at::timestamp                as last_order_at,
    coalesce(customer_orders.lifetime_orders, 0)::integer   as lifetime_orders,
    coalesce(customer_orders.lifetime_value, 0)::numeric    as lifetime_value,
    (case
        when customer_orders.customer_id is null then 'prospect'
        when customer_orders.last_order_at >= current_date - interval '90 days'
            and customer_orders.lifetime_orders = 1 then 'new'
        when customer_orders.last_order_at >= current_date - interval '90 days' then 'active'
        when customer_orders.last_order_at >= current_date - interval '365 days' then 'lapsed'
        else 'churned'
    end)::text                                              as customer_segment
from customers
left join customer_orders using (customer_id)
