with source as (

    select * from {{ source('raw', 'orders') }}

),

renamed as (

    select
        id::bigint                   as order_id,
        customer_id::bigint          as customer_id,
        lower(status)                as order_status,
        upper(currency)              as currency,
        created_at::timestamp        as ordered_at,
        updated_at::timestamp        as updated_at,
        _loaded_at
    from source

)

select * from renamed
