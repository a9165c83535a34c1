import { after, type DemoData } from '../../demo/data.js';
import { followed, type DemoTenant } from '../../demo/people.js';

/** Demo instant translation: what people had translated, from chats, mails, documents and meetings. */

const TEXTS = [
  { from: 'en', to: 'de', source: 'See you at the workshop tomorrow.', result: 'Bis morgen beim Workshop.' },
  { from: 'de', to: 'en', source: 'Die Lieferung verzögert sich um eine Woche.', result: 'The delivery is delayed by one week.' },
  { from: 'en', to: 'zh', source: 'Thank you for your quick reply.', result: '感谢您的快速回复。' },
  { from: 'zh', to: 'en', source: '请在周五之前提交报告。', result: 'Please submit the report before Friday.' },
  { from: 'en', to: 'fr', source: 'The contract is ready for signature.', result: 'Le contrat est prêt à être signé.' },
  { from: 'es', to: 'en', source: '¿Podemos mover la reunión al jueves?', result: 'Can we move the meeting to Thursday?' },
];
const CONTEXTS = ['chat', 'chat', 'email', 'document', 'meeting'];
const START = new Date('2025-03-03T07:00:00Z');

export function seedTranslation(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  for (const person of tenant.people) {
    if (!followed(person) && !r.chance(0.7)) continue;
    for (let n = r.int(2, 6); n > 0; n--) {
      const text = r.pick(TEXTS);
      data.add('translation.jobs', {
        id: data.id(),
        tenant_id: tenant.id,
        account_id: person.accountId,
        context: r.pick(CONTEXTS),
        source_language: text.from,
        target_language: text.to,
        source_text: text.source,
        result_text: text.result,
        requested_at: after(START, r.int(0, 40 * 24 * 60)),
      });
    }
  }
}
