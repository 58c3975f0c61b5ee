with source as (

    select * from {{ source('raw', 'payments') }}

),

renamed as (

    select
        id::bigint                                as payment_id,
        order_id::bigint                          as order_id,
        lower(payment_method)                     as payment_method,
        lower(status)                             as payment_status,
        {{ cents_to_dollars('amount_cents') }}    as amount,
        created_at::timestamp                     as created_at,
        updated_at::timestamp                     as updated_at
    from source

)

select * from renamed
