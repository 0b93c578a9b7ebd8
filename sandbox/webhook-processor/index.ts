export * from './erasure-confirmations';
export * from './standard-webhooks-verifier';
export * from './webhook-processor';
