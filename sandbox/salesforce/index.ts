export * from './ids';
export * from './salesforce-simulator';
export * from './schema';
export * from './soql';
export * from './realistic-seed';
export * from './search-index';
export * from './sosl';
