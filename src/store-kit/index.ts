/**
 * @module webhook-inbox/store-kit
 * Building blocks for authors of their own stores: entity keys and watermarks, id generation, paging,
 * the event and delivery filters, and the poison-message wording.
 */
export { entityKeyString, isNewerWatermark } from "../entity-key.ts";
export { createId } from "../ids.ts";
export { asList, eventMatches, deliveryMatches, pageSize, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../filters.ts";
export { poisonMessage } from "../poison-message.ts";
export { GroupCommitter, type GroupCommitOptions, type Settled } from "./group-commit.ts";
export { reconcileRunFromJson, reconcileRunToJson } from "./reconcile-run-json.ts";
export {
  planGroupClaim,
  planGroupClaimSteps,
  planGroupClaimWith,
  type DueGroup,
  type DueGroupHead,
  type GroupAnswer,
  type GroupQuestion,
  type GroupTake,
} from "./plan-group-claim.ts";
