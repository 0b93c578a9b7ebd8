/**
 * The change poll was Salesforce's only; it is generic now (ChangePollService, by the ChangePoller capability).
 * This name stays for the crm-sync e2e test, which imports it; remove it when that test imports ChangePollService.
 */
export { ChangePollService as SalesforceSyncService } from './change-poll.service';
