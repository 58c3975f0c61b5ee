import { describe, expect, it } from '@jest/globals';
import { cloneNotNull, ORDERS, pipeline } from '../../dbt/src/test-support.js';
import { compileTests, normaliseType, relationOf, sameType, type RawManifest } from './dbt.js';

const wh = { quote: (id: string) => `"${id.replace(/"/g, '""')}"` };

describe('contract types', () => {
  it.each([
    ['int', 'integer'],
    ['int4', 'integer'],
    ['INTEGER', 'integer'],
    ['varchar', 'character varying'],
    ['text', 'character varying(20)'],
    ['varchar(20)', 'character varying(20)'],
    ['timestamp', 'timestamp without time zone'],
    ['timestamptz', 'timestamp with time zone'],
    ['timestamp(3) with time zone', 'timestamp with time zone'],
    ['float8', 'double precision'],
    ['bool', 'boolean'],
    ['decimal(10, 2)', 'numeric(10,2)'],
    ['numeric', 'numeric(10,2)'],
    ['int8', 'bigint'],
  ])('%s is %s', (a, b) => expect(sameType(a, b)).toBe(true));

  it.each([
    ['int', 'bigint'],
    ['varchar(10)', 'character varying(20)'],
    ['timestamp', 'timestamp with time zone'],
    ['numeric(10,2)', 'numeric(12,2)'],
    ['date', 'timestamp without time zone'],
  ])('%s is not %s', (a, b) => expect(sameType(a, b)).toBe(false));

  it('splits parameters from the name', () => {
    expect(normaliseType('Character Varying(20)')).toEqual({ base: 'text', params: '20' });
    expect(normaliseType('timestamp without time zone')).toEqual({ base: 'timestamp', params: undefined });
  });
});

describe('generic tests compiled to SQL', () => {
  it('uses the compiled relation, or the environment schema with dbt\'s custom-schema rule; honours where and severity', () => {
    const m = pipeline();
    const t = cloneNotNull(m, 'test.test.not_null_orders_amount.9', ORDERS, 'amount');
    t.config.where = "amount > 0";
    t.config.severity = 'warn';
    m.nodes[ORDERS].config.schema = 'marts';
    const raw = m as unknown as RawManifest;
    const compiled = compileTests(raw, wh);
    const byName = Object.fromEntries(compiled.tests.map((x) => [x.name, x]));
    expect(byName.not_null_orders_amount!.sql).toBe(`select count(*) as failures from (select * from ${m.nodes[ORDERS].relation_name} where amount > 0) dbt_subquery where amount is null`);
    expect(byName.not_null_orders_amount!.severity).toBe('warn');
    expect(compiled.skipped.sort()).toEqual(['check_nothing_my_model_', 'just_my']); // a custom generic test and a singular test
    const moved = compileTests(raw, wh, 'analytics_prod');
    expect(moved.tests.find((x) => x.name === 'not_null_orders_id')!.sql).toBe('select count(*) as failures from "analytics_prod_marts"."orders" where id is null');
    expect(relationOf(raw.nodes['model.test.my_model']!, wh, 'analytics_prod')).toBe('"analytics_prod"."my_model"');
  });
});
