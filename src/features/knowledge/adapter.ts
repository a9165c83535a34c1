import { declarativeAdapter } from '../declarative.js';

const profileImageName =
  `'profile-image' || case profile_image_media_type when 'image/png' then '.png' when 'image/jpeg' then '.jpg' else '' end`;

export const knowledgeAdapter = declarativeAdapter({
  feature: 'knowledge',
  blobDeletions: 'knowledge.blob_deletions',
  datasets: [
    {
      name: 'profile',
      title: 'Community profile',
      table: 'knowledge.profiles',
      where: 'profiles.account_id = :account',
      columns: {
        account_id: 'account-id',
        name: 'name',
        nickname: 'nickname',
        mobile: 'mobile-number',
        employee_id: 'employee-id',
        department: 'department',
        remarks: 'remarks',
        profile_image_media_type: 'profile-image',
        profile_image_size: 'profile-image',
        profile_image_sha256: 'profile-image',
      },
      file: {
        blobKey: 'profile_image_key',
        name: profileImageName,
        mediaType: 'profile_image_media_type',
        size: 'profile_image_size',
        sha256: 'profile_image_sha256',
        item: 'profile-image',
      },
    },
    {
      name: 'posts',
      title: 'Posts',
      table: 'knowledge.posts',
      where: 'posts.author_account_id = :account',
      columns: {
        id: 'user-submitted-content',
        author_account_id: 'account-id',
        title: 'user-submitted-content',
        body: 'user-submitted-content',
        created_at: 'user-submitted-content',
      },
      orderBy: 'created_at, id',
      erase: {
        // A post stays while others took part in it; one nobody reacted to goes.
        sharedWith:
          `select c.author_account_id from knowledge.comments c where c.post_id = posts.id ` +
          `union all select l.account_id from knowledge.likes l where l.post_id = posts.id`,
        anonymize: ['author_account_id'],
        note: 'Kept for the {others} who commented on or liked them, with your authorship removed.',
      },
    },
    {
      name: 'comments',
      title: 'Comments',
      table: 'knowledge.comments',
      where: 'comments.author_account_id = :account',
      columns: { post_id: 'comments', author_account_id: 'account-id', body: 'comments', created_at: 'comments' },
      orderBy: 'created_at, id',
    },
    {
      name: 'likes',
      title: 'Likes',
      table: 'knowledge.likes',
      where: 'likes.account_id = :account',
      columns: { post_id: 'likes', account_id: 'account-id', liked_at: 'likes' },
      orderBy: 'liked_at, id',
    },
  ],
});
