import type postgres from 'postgres';

/** Where seeded messages go: a conversation of a tenant, and who sent them. */
export interface MessageTarget {
  tenant: string;
  conversationId: string;
  sender: string;
}

/** Messages [from, to] of `sender` in the conversation, generated inside Postgres. */
export async function addMessages(sql: postgres.Sql, to: MessageTarget, first: number, last: number): Promise<void> {
  if (last < first) return;
  // Bodies of 20-200 characters, some with quotes, commas, newlines and non-ASCII text, as chat has.
  await sql`
    insert into im.messages (tenant_id, conversation_id, sender_account_id, kind, body, sent_at)
    select ${to.tenant}, ${to.conversationId}::uuid, ${to.sender}, 'text',
           left('Message ' || i || ': ' || repeat(md5(i::text) || ' lorem, "ipsum" dolor sit amet ', 6)
                || case when i % 7 = 0 then E'\\nGrüße 你好 ' || md5((i * 31)::text) else '' end,
                (20 + (i::bigint * 7919) % 181)::int),
           timestamptz '2023-01-01T00:00:00Z' + i * interval '7 seconds'
    from generate_series(${first}::int, ${last}::int) as g(i)`;
}
