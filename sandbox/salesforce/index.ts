export * from './ids';
export * from './salesforce-simulator';
export * from './schema';
export * from './soql';
