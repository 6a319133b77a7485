import type { Db } from '../db/db.js';
import { NotFoundError } from '../errors.js';
import type { ConversationPage, ConversationsRepo } from './conversations-repo.js';

export type { ConversationMessage, ConversationPage } from './conversations-repo.js';

export type ConversationsServiceDeps = { db: Db; conversations: Pick<ConversationsRepo, 'contactExists' | 'listContactMessages'> };

/** A contact's conversation history: every message stored in `messages` for them, newest first. */
export const createConversationsService = (deps: ConversationsServiceDeps) => ({
  /** NotFoundError when the contact is not the account's; a bad cursor is a 400 naming `cursor`. */
  async forContact(accountId: string, contactId: string, q: { limit: number; cursor?: string | null }): Promise<ConversationPage> {
    // The contact is checked first: another account's contact is a 404 even with a bad cursor.
    if (!(await deps.conversations.contactExists(deps.db, accountId, contactId))) throw new NotFoundError('contact');
    return deps.conversations.listContactMessages(deps.db, accountId, contactId, q);
  },
});

export type ConversationsService = ReturnType<typeof createConversationsService>;
