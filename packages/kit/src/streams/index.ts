export { defineEvent, formerlyOn, type EventDefinition, type EventData } from './events.ts';
export {
  type Envelope,
  encodeEnvelope,
  decodeEnvelope,
  deriveEventId,
  newEventId,
  newTraceparent,
  childTraceparent,
} from './envelope.ts';
export { createPublisher, type Publisher, type PublishOptions } from './publisher.ts';
export {
  createConsumer,
  consumerDefaults,
  BACKGROUND_LINGER_MS,
  SAGA_LINGER_MS,
  defaultConsumerName,
  type Consumer,
  type ConsumerOptions,
  type ConsumerReport,
  type Handler,
  type HandlerContext,
  type HandlerOptions,
  type BatchHandler,
  type BatchContext,
  type BatchOutcome,
} from './consumer.ts';
export {
  listDeadLetters,
  replayDeadLetters,
  countDeadLetters,
  moveToDeadLetters,
  adoptLegacyDeadLetters,
  type DeadLetter,
} from './dead-letters.ts';
export { trimStream, safeTrimPoint, startTrimmer } from './trimmer.ts';
export { compareIds, groupsOf, lastEntryId, parseEntries, type GroupInfo, type RawEntry, type StreamEntry } from './commands.ts';
export { streamKeys } from './keys.ts';
