export * from '../../modules/connectors/webhook/standard-webhooks';
export * from './webhook-processor';
