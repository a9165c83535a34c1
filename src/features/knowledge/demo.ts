import { after, type DemoData } from '../../demo/data.js';
import { faceImage } from '../../demo/files.js';
import { cast, followed, scripted, type DemoTenant, type Person } from '../../demo/people.js';

/**
 * Demo knowledge community: a profile per person, alice's and bob's scripted posts (one of alice's
 * nobody reacted to), then random posts with comments and likes.
 */

const NICKNAMES = ['the debugger', 'spreadsheet wizard', 'coffee lover', 'night owl', 'trail runner', 'pixel pusher', null];
const POSTS = [
  { title: 'How we cut build times in half', body: 'Caching the dependency layer and splitting the test suite did most of the work.' },
  { title: 'Checklist: preparing a customer workshop', body: 'Agenda, room, a backup laptop and printed handouts.' },
  { title: 'Expense reports without tears', body: 'Scan receipts the same day and tag them by project.' },
  { title: 'What I learned from our last outage', body: 'Alerts fired, but nobody owned them. We fixed the rota first.' },
  { title: 'Favourite keyboard shortcuts', body: 'Ctrl+K to search everything, Ctrl+Shift+M to mute.' },
];
const COMMENTS = [
  'Great write-up, thanks!',
  'We tried this too, it works.',
  'Could you share the template?',
  'Bookmarked.',
  'Interesting, how long did it take?',
];
const START = new Date('2025-02-10T10:00:00Z');

class Community {
  constructor(
    private readonly data: DemoData,
    private readonly tenant: DemoTenant,
  ) {}

  profile(person: Person): void {
    const r = this.data.random;
    const image = followed(person) || r.chance(0.6) ? this.data.file('knowledge', this.tenant.id, faceImage(r)) : null;
    this.data.add('knowledge.profiles', {
      id: this.data.id(),
      tenant_id: this.tenant.id,
      account_id: person.accountId,
      name: person.name,
      nickname: r.pick(NICKNAMES),
      mobile: person.mobile,
      employee_id: person.employeeId,
      department: person.department,
      remarks: r.chance(0.3) ? `Ask me about ${person.department.toLowerCase()}` : null,
      profile_image_key: image?.key ?? null,
      profile_image_media_type: image ? 'image/png' : null,
      profile_image_size: image?.size ?? null,
      profile_image_sha256: image?.sha256 ?? null,
    });
  }

  post(author: Person, post: { title: string; body: string }, commenters: Person[], likers: Person[]): void {
    const r = this.data.random;
    const id = this.data.id();
    const createdAt = after(START, r.int(0, 40) * 24 * 60);
    this.data.add('knowledge.posts', { id, tenant_id: this.tenant.id, author_account_id: author.accountId, ...post, created_at: createdAt });
    for (const commenter of commenters) {
      this.data.add('knowledge.comments', {
        id: this.data.id(),
        tenant_id: this.tenant.id,
        post_id: id,
        author_account_id: commenter.accountId,
        body: r.pick(COMMENTS),
        created_at: after(createdAt, r.int(10, 3000)),
      });
    }
    for (const liker of likers) {
      this.data.add('knowledge.likes', {
        id: this.data.id(),
        tenant_id: this.tenant.id,
        post_id: id,
        account_id: liker.accountId,
        liked_at: after(createdAt, r.int(10, 3000)),
      });
    }
  }
}

/** bob comments on and likes one of alice's posts; nobody reacts to her draft; alice and carol react to bob's. */
function scriptedPosts(community: Community, tenant: DemoTenant): void {
  const [alice, bob, carol] = cast(tenant, ['alice', 'bob', 'carol']);
  const onboarding = { title: 'Onboarding checklist for new engineers', body: 'Laptop, accounts, a buddy, and a first small ticket.' };
  community.post(alice, onboarding, [bob], [bob]);
  community.post(alice, { title: 'Draft: notes on caching', body: 'Half-finished thoughts on cache invalidation.' }, [], []);
  const reviews = { title: 'How we run pipeline reviews', body: 'Every Monday, fifteen minutes, open deals only.' };
  community.post(bob, reviews, [alice, carol], [alice, carol]);
}

export function seedKnowledge(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  const community = new Community(data, tenant);
  for (const person of tenant.people) community.profile(person);
  if (scripted(tenant)) scriptedPosts(community, tenant);
  for (let i = 0; i < tenant.people.length * 0.6; i++) {
    const [author, ...others] = r.sample(tenant.people, 8);
    community.post(author!, r.pick(POSTS), others.slice(0, r.int(0, 3)), r.sample(others, r.int(0, 5)));
  }
}
