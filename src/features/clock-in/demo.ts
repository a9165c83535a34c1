import { after, type DemoData } from '../../demo/data.js';
import { faceImage } from '../../demo/files.js';
import type { DemoTenant, Person } from '../../demo/people.js';

/** Demo clock-in: a profile per person and two weeks of clock-ins and -outs. */

const METHODS = ['location', 'machine', 'photo', 'face'] as const;
const PHONES = [
  { name: 'Work phone', model: 'iPhone 14', os: 'iOS 17.3' },
  { name: 'Work phone', model: 'Galaxy A54', os: 'Android 14' },
];
const TERMINAL = { name: 'Entrance terminal', model: 'ZK SpeedFace V5L', os: 'Linux' };

const FIRST_DAY = new Date('2025-03-03T00:00:00Z');
const WORKDAYS = 10;

type Method = (typeof METHODS)[number];

/** alice clocks in by face, bob by photo; everyone else by a method of their own. */
function methodOf(person: Person, data: DemoData): Method {
  if (person.accountId === 'alice') return 'face';
  if (person.accountId === 'bob') return 'photo';
  return data.random.pick(METHODS);
}

function record(data: DemoData, tenant: DemoTenant, person: Person, method: Method, direction: 'in' | 'out', at: Date): void {
  const r = data.random;
  const byPhone = method !== 'machine';
  const device = method === 'machine' ? TERMINAL : r.pick(PHONES);
  // Faces and photos are kept on some clock-ins only, as terminals do when a match is uncertain.
  const image = (method === 'face' || method === 'photo') && r.chance(0.5) ? data.file('clock-in', tenant.id, faceImage(r)) : null;
  data.add('clock_in.records', {
    id: data.id(),
    tenant_id: tenant.id,
    account_id: person.accountId,
    clocked_at: at,
    direction,
    method,
    latitude: byPhone ? (tenant.office.latitude + r.int(-300, 300) / 1e6).toFixed(6) : null,
    longitude: byPhone ? (tenant.office.longitude + r.int(-300, 300) / 1e6).toFixed(6) : null,
    device_name: device.name,
    device_model: device.model,
    os: device.os,
    face_image_key: image?.key ?? null,
    face_image_media_type: image ? 'image/png' : null,
    face_image_sha256: image?.sha256 ?? null,
    face_image_size: image?.size ?? null,
  });
}

export function seedClockIn(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  for (const person of tenant.people) {
    data.add('clock_in.profiles', {
      id: data.id(),
      tenant_id: tenant.id,
      account_id: person.accountId,
      name: person.name,
      department: person.department,
      employee_id: person.employeeId,
      work_address: tenant.office.address,
    });
    const method = methodOf(person, data);
    for (let day = 0, worked = 0; worked < WORKDAYS; day++) {
      const date = after(FIRST_DAY, day * 24 * 60);
      if (date.getUTCDay() === 0 || date.getUTCDay() === 6) continue;
      worked++;
      record(data, tenant, person, method, 'in', after(date, 7 * 60 + r.int(0, 90)));
      record(data, tenant, person, method, 'out', after(date, 15 * 60 + r.int(30, 180)));
    }
  }
}
