import { after, type DemoData } from '../../demo/data.js';
import { document, picture, type DemoFile } from '../../demo/files.js';
import type { DemoTenant } from '../../demo/people.js';

/** Demo drive: a profile per person, alice's and bob's scripted folders and files, then random ones. */

const FOLDER_NAMES = ['Projects', 'Reports', 'Templates', 'Archive', 'Contracts', 'Presentations', 'Research'];
const START = new Date('2025-02-03T10:00:00Z');

class Drive {
  constructor(
    private readonly data: DemoData,
    private readonly tenant: DemoTenant,
  ) {}

  private when(): Date {
    return after(START, this.data.random.int(0, 28 * 24 * 60));
  }

  folder(owner: string, name: string, parent: string | null = null): string {
    const id = this.data.id();
    const at = this.when();
    this.data.add('clouddrive.folders', { id, tenant_id: this.tenant.id, owner_account_id: owner, parent_id: parent, name, created_at: at, updated_at: at });
    return id;
  }

  file(owner: string, folder: string | null, file: DemoFile = document(this.data.random)): string {
    const id = this.data.id();
    const stored = this.data.file('clouddrive', this.tenant.id, file.body);
    const at = this.when();
    this.data.add('clouddrive.files', {
      id,
      tenant_id: this.tenant.id,
      folder_id: folder,
      owner_account_id: owner,
      name: file.name,
      media_type: file.mediaType,
      size: stored.size,
      sha256: stored.sha256,
      blob_key: stored.key,
      created_at: at,
      updated_at: after(at, this.data.random.int(0, 3 * 24 * 60)),
    });
    return id;
  }

  share(target: { folder: string } | { file: string }, account: string, role: 'viewer' | 'editor'): void {
    this.data.add('clouddrive.permissions', {
      id: this.data.id(),
      tenant_id: this.tenant.id,
      folder_id: 'folder' in target ? target.folder : null,
      file_id: 'file' in target ? target.file : null,
      account_id: account,
      role,
    });
  }
}

/**
 * alice shares a project folder (with a subfolder) with bob, where bob keeps a file too; a photo is
 * shared with carol alone; her personal folder and a draft are shared with nobody. bob shares a
 * folder with alice.
 */
function scripted(drive: Drive, data: DemoData): void {
  const phoenix = drive.folder('alice', 'Project Phoenix');
  drive.share({ folder: phoenix }, 'bob', 'editor');
  drive.file('alice', phoenix);
  drive.file('alice', phoenix);
  drive.file('bob', phoenix);
  const assets = drive.folder('alice', 'Assets', phoenix);
  drive.file('alice', assets, picture(data.random, 'logo.png'));

  const personal = drive.folder('alice', 'Personal');
  drive.file('alice', personal);
  drive.file('alice', drive.folder('alice', 'Receipts', personal));
  drive.share({ file: drive.file('alice', null, picture(data.random, 'team-photo.png')) }, 'carol', 'viewer');
  drive.file('alice', null, { name: 'draft.md', mediaType: 'text/markdown', body: Buffer.from('# Draft\n\nIdeas for next quarter.\n') });

  const decks = drive.folder('bob', 'Sales decks');
  drive.file('bob', decks);
  drive.share({ folder: decks }, 'alice', 'viewer');
}

export function seedClouddrive(data: DemoData, tenant: DemoTenant): void {
  const drive = new Drive(data, tenant);
  const r = data.random;
  const accounts = tenant.people.map((p) => p.accountId);
  for (const p of tenant.people) {
    const email = `${p.accountId}@${tenant.domain}`;
    data.add('clouddrive.users', { id: data.id(), tenant_id: tenant.id, account_id: p.accountId, name: p.name, department: p.department, email });
  }
  if (accounts.includes('alice')) scripted(drive, data);
  for (const owner of accounts) {
    const folder = drive.folder(owner, r.pick(FOLDER_NAMES));
    for (let i = r.int(1, 3); i > 0; i--) drive.file(owner, folder);
    const loose = drive.file(owner, null);
    const colleague = r.pick(accounts.filter((a) => a !== owner));
    if (r.chance(0.4)) drive.share({ folder }, colleague, r.pick(['viewer', 'editor'] as const));
    if (r.chance(0.3)) drive.share({ file: loose }, colleague, 'viewer');
  }
}
