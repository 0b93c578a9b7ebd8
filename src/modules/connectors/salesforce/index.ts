export * from './salesforce.client';
export * from './salesforce.connector';
export * from './salesforce.constants';
export * from './salesforce.errors';
export * from './salesforce.mapper';
export * from './salesforce-oauth';
export * from './salesforce.types';
