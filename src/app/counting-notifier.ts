/** A Notifier decorator that counts what reaches the channel: new messages, message updates, thread replies. */
import type {
  DigestReport,
  MessageRef,
  Notifier,
  RecommendationMessage,
  RecommendationView,
} from "../core/ports/notifier.js";

export interface MessageCounts {
  /** New top-level messages: recommendations, digests, alerts. */
  posts: number;
  /** Edits of a posted message (a recommendation's final state). */
  updates: number;
  /** Replies in a recommendation's thread (switch progress). */
  thread_replies: number;
}

export class CountingNotifier implements Notifier {
  readonly counts: MessageCounts = { posts: 0, updates: 0, thread_replies: 0 };
  /** Recommendations posted (part of posts). */
  recommendations = 0;
  constructor(private readonly inner: Notifier) {}

  async recommend(rec: RecommendationMessage, view?: RecommendationView): Promise<MessageRef> {
    const ref = await this.inner.recommend(rec, view);
    this.counts.posts++;
    this.recommendations++;
    return ref;
  }
  async update(ref: MessageRef, rec: RecommendationMessage, state?: RecommendationView): Promise<void> {
    await this.inner.update(ref, rec, state);
    this.counts.updates++;
  }
  async announce(text: string): Promise<void> {
    await this.inner.announce(text);
    this.counts.posts++;
  }
  async progress(ref: MessageRef, text: string): Promise<void> {
    await this.inner.progress(ref, text);
    this.counts.thread_replies++;
  }
  async resolve(ref: MessageRef, rec: RecommendationMessage, status: string): Promise<void> {
    await this.inner.resolve(ref, rec, status);
    this.counts.updates++;
  }
  async digest(digest: DigestReport): Promise<void> {
    await this.inner.digest(digest);
    this.counts.posts++;
  }
  async alert(text: string): Promise<void> {
    await this.inner.alert(text);
    this.counts.posts++;
  }
}
