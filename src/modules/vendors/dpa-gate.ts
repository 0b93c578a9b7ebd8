import { Injectable } from '@nestjs/common';
import { DpaRepository } from './dpa.repository';
import { isDpaValidOn, utcDay } from './dpa-validity';

/**
 * Art. 28: no personal data goes to a processor without a signed, unexpired agreement. The gate only
 * answers "covered?" for a vendor; propagation acts on the answer (holds, flags and releases deliveries),
 * and hears from DpaService.onCoverageMayHaveChanged when the answer may have changed.
 */
@Injectable()
export class DpaGate {
  constructor(private readonly dpas: DpaRepository) {}

  /** Whether the vendor has a valid DPA on `day` (today by default). One query. */
  async vendorCovered(vendorId: string, day = utcDay()): Promise<boolean> {
    return isDpaValidOn(await this.dpas.governingTermsOfVendor(vendorId), day);
  }
}
