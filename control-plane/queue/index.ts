// The queue between components: consumers over the repository's queue table.
export { QueueConsumer, type QueueConsumerOptions } from './consumer.ts';
