import { dataset, declarativeAdapter } from '../declarative.js';
import { tableName } from '../sql-text.js';
import { withSharedData } from '../shared-data.js';
import { blobDeletions, files, folders, permissions, users } from './tables.js';

/** Ids of the folder `folder` (an SQL expression) and every folder above it. */
function folderAndAbove(folder: string): string {
  return (
    `with recursive up(id) as (select ${folder} union ` +
    `select f.parent_id from ${tableName(folders)} f join up on f.id = up.id) select id from up where id is not null`
  );
}

/** Ids of the folder `folder` and every folder below it. */
function folderAndBelow(folder: string): string {
  return (
    `with recursive down(id) as (select ${folder} union ` +
    `select f.id from ${tableName(folders)} f join down on f.parent_id = down.id) select id from down`
  );
}

/** People who reach a folder: the owners of it and of the folders above, and everyone they are shared with. */
function reachFolder(folder: string): string {
  const above = folderAndAbove(folder);
  return (
    `select ra.owner_account_id from ${tableName(folders)} ra where ra.id in (${above}) ` +
    `union all select rp.account_id from ${tableName(permissions)} rp where rp.folder_id in (${above})`
  );
}

/** People with something inside a folder: owners of the files and folders below it, and who those are shared with. */
function insideFolder(folder: string): string {
  const below = folderAndBelow(folder);
  const filesBelow = `select ib.id from ${tableName(files)} ib where ib.folder_id in (${below})`;
  return (
    `select ia.owner_account_id from ${tableName(folders)} ia where ia.id in (${below}) ` +
    `union all select ip.account_id from ${tableName(permissions)} ip where ip.folder_id in (${below}) ` +
    `union all select ic.owner_account_id from ${tableName(files)} ic where ic.id in (${filesBelow}) ` +
    `union all select iq.account_id from ${tableName(permissions)} iq where iq.file_id in (${filesBelow})`
  );
}

const fileReach = `select fp.account_id from ${tableName(permissions)} fp where fp.file_id = files.id union all ${reachFolder('files.folder_id')}`;
const folderReach = `${reachFolder('folders.id')} union all ${insideFolder('folders.id')}`;

/**
 * Rows owned by the subject, and rows whose owner was erased before that only the subject still
 * reaches: nobody else would ever see those again.
 */
function ownedOrLeftTo(row: string, reach: string): string {
  return (
    `${row}.owner_account_id = :account or (${row}.owner_account_id is null and :account in (${reach}) ` +
    `and not exists (select 1 from (${reach}) as r(account_id) where r.account_id <> :account))`
  );
}

const ownedFiles = `select id from ${tableName(files)} where tenant_id = :tenant and owner_account_id = :account`;
const ownedFolders = `select id from ${tableName(folders)} where tenant_id = :tenant and owner_account_id = :account`;

const ownDrive = declarativeAdapter({
  feature: 'clouddrive',
  blobDeletions,
  datasets: [
    dataset({
      name: 'profile',
      title: 'Clouddrive profile',
      table: users,
      where: 'users.account_id = :account',
      columns: { accountId: 'account-id', name: 'name', department: 'department', email: 'email-address' },
    }),
    dataset({
      name: 'folders',
      title: 'Folders',
      table: folders,
      where: 'folders.owner_account_id = :account',
      columns: {
        id: 'file-attributes',
        parentId: 'file-attributes',
        name: 'file-attributes',
        ownerAccountId: 'file-attributes',
        createdAt: 'file-attributes',
        updatedAt: 'file-attributes',
      },
      orderBy: ['createdAt', 'id'],
      erase: {
        where: ownedOrLeftTo('folders', folderReach),
        // A folder stays while someone else reaches it or still has something inside it.
        sharedWith: folderReach,
        anonymize: ['ownerAccountId'],
        note: 'Kept for the {others} they are shared with or who keep files in them; you are no longer their owner.',
      },
    }),
    dataset({
      name: 'files',
      title: 'Files',
      table: files,
      where: 'files.owner_account_id = :account',
      columns: {
        id: 'file-attributes',
        folderId: 'file-attributes',
        name: 'file-attributes',
        ownerAccountId: 'file-attributes',
        mediaType: 'file-attributes',
        size: 'file-attributes',
        sha256: 'file-attributes',
        createdAt: 'file-attributes',
        updatedAt: 'file-attributes',
      },
      orderBy: ['createdAt', 'id'],
      file: { blobKey: 'blobKey', name: 'name', mediaType: 'mediaType', size: 'size', sha256: 'sha256', item: 'uploaded-file-content' },
      erase: {
        where: ownedOrLeftTo('files', fileReach),
        sharedWith: fileReach,
        anonymize: ['ownerAccountId'],
        note: 'Kept, with their content, for the {others} they are shared with; you are no longer their owner.',
      },
    }),
    dataset({
      name: 'permissions',
      title: 'Sharing permissions',
      table: permissions,
      where:
        `permissions.account_id = :account or permissions.file_id in (${ownedFiles}) ` +
        `or permissions.folder_id in (${ownedFolders})`,
      columns: { fileId: 'file-attributes', folderId: 'file-attributes', accountId: 'file-attributes', role: 'file-attributes' },
      orderBy: ['id'],
      // What others were given on the subject's shared files stays theirs; only the subject's own access goes.
      erase: { where: 'permissions.account_id = :account' },
    }),
  ],
});

/** The drive holds nothing more of shared spaces to show: only the people files are shared with are renamed or left out. */
export const clouddriveAdapter = withSharedData({
  own: ownDrive,
  space: ['shared file or folder', 'shared files and folders'],
  people: [{ dataset: 'permissions', column: 'account_id', space: ['file_id', 'folder_id'], what: 'people files and folders are shared with' }],
  leftOut: [],
});
