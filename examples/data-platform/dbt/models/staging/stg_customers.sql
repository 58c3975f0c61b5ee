with source as (

    select * from {{ source('raw', 'customers') }}

),

renamed as (

    select
        id::bigint                   as customer_id,
        trim(first_name)             as first_name,
        trim(last_name)              as last_name,
        lower(trim(email))           as email,
        upper(country_code)          as country_code,
        created_at::timestamp        as created_at,
        updated_at::timestamp        as updated_at
    from source

)

select * from renamed
