import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { type ControllerDetails, missingFields } from './controller-settings';
import { ControllerSettingsEntity } from './entities/controller-settings.entity';

/** How long a process trusts what it read (another process may have saved since). */
const CACHE_MS = 10_000;

/** The controller as a receipt or export names it (the AppConfig shape those builders take). */
export type ReceiptController = AppConfig['controller'];

/**
 * The controller's details: saved in the console (one row), or until then the CONTROLLER_* configuration.
 * Receipts and access exports read them here, never from the configuration directly.
 */
@Injectable()
export class ControllerSettingsService {
  private cached: { details: ControllerDetails; saved: boolean; until: number } | null = null;

  constructor(
    @InjectRepository(ControllerSettingsEntity)
    private readonly rows: Repository<ControllerSettingsEntity>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private fromConfig(): ControllerDetails {
    const c = this.config.controller;
    return {
      name: c.name,
      contact: c.contact,
      email: c.email,
      address: c.address,
      privacy_policy_url: c.url ?? this.config.policyUrl,
    };
  }

  private async load(): Promise<{ details: ControllerDetails; saved: boolean }> {
    if (this.cached && this.cached.until > Date.now()) return this.cached;
    const row = await this.rows.findOneBy({ id: 1 });
    const loaded = row
      ? {
          details: {
            name: row.name,
            contact: row.contact,
            email: row.email,
            address: row.address,
            privacy_policy_url: row.privacy_policy_url,
          },
          saved: true,
        }
      : { details: this.fromConfig(), saved: false };
    this.cached = { ...loaded, until: Date.now() + CACHE_MS };
    return loaded;
  }

  /** The details with where they come from and what is still missing or a placeholder. */
  async status() {
    const { details, saved } = await this.load();
    const missing = missingFields(details);
    return { ...details, source: saved ? 'saved' : 'configuration', complete: missing.length === 0, missing };
  }

  /** The controller for a receipt or export (`config.controller`'s shape), and the policy URL. */
  async forReceipts(): Promise<{ controller: ReceiptController; policyUrl: string | null }> {
    const { details } = await this.load();
    return {
      controller: {
        name: details.name,
        contact: details.contact,
        email: details.email,
        address: details.address,
        url: details.privacy_policy_url,
      },
      policyUrl: details.privacy_policy_url ?? this.config.policyUrl,
    };
  }

  async save(details: ControllerDetails, by: string | null) {
    await this.rows.upsert(
      {
        id: 1,
        name: details.name.trim(),
        contact: details.contact.trim(),
        email: details.email.trim(),
        address: details.address.trim(),
        privacy_policy_url: details.privacy_policy_url?.trim() || null,
        updated_at: () => 'now()',
        updated_by: by,
      },
      ['id'],
    );
    this.cached = null;
    return this.status();
  }
}
