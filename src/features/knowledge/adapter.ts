import { dataset, declarativeAdapter, expression } from '../declarative.js';
import { tableName } from '../sql-text.js';
import { blobDeletions, comments, likes, posts, profiles } from './tables.js';

const profileImageName =
  `'profile-image' || case profile_image_media_type when 'image/png' then '.png' when 'image/jpeg' then '.jpg' else '' end`;

export const knowledgeAdapter = declarativeAdapter({
  feature: 'knowledge',
  blobDeletions,
  datasets: [
    dataset({
      name: 'profile',
      title: 'Community profile',
      table: profiles,
      where: 'profiles.account_id = :account',
      columns: {
        accountId: 'account-id',
        name: 'name',
        nickname: 'nickname',
        mobile: 'mobile-number',
        employeeId: 'employee-id',
        department: 'department',
        remarks: 'remarks',
        profileImageMediaType: 'profile-image',
        profileImageSize: 'profile-image',
        profileImageSha256: 'profile-image',
      },
      file: {
        blobKey: 'profileImageKey',
        name: expression(profileImageName),
        mediaType: 'profileImageMediaType',
        size: 'profileImageSize',
        sha256: 'profileImageSha256',
        item: 'profile-image',
      },
    }),
    dataset({
      name: 'posts',
      title: 'Posts',
      table: posts,
      where: 'posts.author_account_id = :account',
      columns: {
        id: 'user-submitted-content',
        authorAccountId: 'account-id',
        title: 'user-submitted-content',
        body: 'user-submitted-content',
        createdAt: 'user-submitted-content',
      },
      orderBy: ['createdAt', 'id'],
      erase: {
        // A post stays while others took part in it; one nobody reacted to goes.
        sharedWith:
          `select c.author_account_id from ${tableName(comments)} c where c.post_id = posts.id ` +
          `union all select l.account_id from ${tableName(likes)} l where l.post_id = posts.id`,
        anonymize: ['authorAccountId'],
        note: 'Kept for the {others} who commented on or liked them, with your authorship removed.',
      },
    }),
    dataset({
      name: 'comments',
      title: 'Comments',
      table: comments,
      where: 'comments.author_account_id = :account',
      columns: { postId: 'comments', authorAccountId: 'account-id', body: 'comments', createdAt: 'comments' },
      orderBy: ['createdAt', 'id'],
    }),
    dataset({
      name: 'likes',
      title: 'Likes',
      table: likes,
      where: 'likes.account_id = :account',
      columns: { postId: 'likes', accountId: 'account-id', likedAt: 'likes' },
      orderBy: ['likedAt', 'id'],
    }),
  ],
});
