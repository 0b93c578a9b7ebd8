import { Injectable } from '@nestjs/common';
import type { ApiPrincipal } from '../../platform/http/auth.decorators';
import type { FieldProblem } from '../../platform/http/problem';
import { Clock } from '../../platform/clock/clock';
import type { CreateRequestDto } from './dto/request.dto';
import { RequestService } from './request.service';
import { RequestRepository } from './request.repository';
import { RequestInvalidError } from './requests.errors';

/** How a key or a console user is named in a request's history. */
export function actorName(principal: ApiPrincipal): string {
  return principal.kind === 'user' ? `user:${principal.name}` : `api_key:${principal.name}`;
}

/** A receipt time claimed a little ahead of our clock is accepted (clock skew), a later one is not. */
const FUTURE_SKEW_MS = 5 * 60_000;

/** POST /v1/requests: the rules a body must meet beyond its DTO, and who the request comes from. */
@Injectable()
export class RequestApi {
  constructor(
    private readonly requests: RequestRepository,
    private readonly service: RequestService,
    private readonly clock: Clock,
  ) {}

  async create(body: CreateRequestDto, principal: ApiPrincipal): Promise<string> {
    const now = new Date(this.clock.now());
    const receivedAt = body.received_at ? new Date(body.received_at) : now;
    const problems = this.problemsOf(body, receivedAt, now);
    if (problems.length)
      throw new RequestInvalidError(
        `Invalid request: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
        problems,
      );
    const actor = actorName(principal);
    // Only a caller trusted to vouch for identities may settle one at intake; otherwise it waits (and says why).
    const mayVerify = principal.scopes.includes('requests:verify');
    const verification =
      body.verification && mayVerify
        ? { method: body.verification.method, note: body.verification.note ?? null, verifiedBy: actor }
        : null;
    const request = await this.requests.inTransaction((manager) =>
      this.service.create(manager, {
        type: body.type,
        origin: principal.kind === 'user' ? 'console' : 'api',
        source: body.source ?? null,
        target: { phone: body.phone, email: body.email, subjectId: body.subject_id },
        receivedAt,
        verification,
        changes: body.changes ? { ...body.changes } : null,
        lift: body.lift ?? false,
        createdBy: actor,
        createdDetail:
          body.verification && !mayVerify ? { verification_ignored: 'requests:verify missing' } : {},
      }),
    );
    return request.id;
  }

  private problemsOf(body: CreateRequestDto, receivedAt: Date, now: Date): FieldProblem[] {
    const problems: FieldProblem[] = [];
    const named = (['phone', 'email', 'subject_id'] as const).filter((f) => body[f] !== undefined);
    if (named.length !== 1) {
      const message = 'give exactly one of phone, email or subject_id';
      for (const field of named.length ? named : (['phone', 'email', 'subject_id'] as const))
        problems.push({ field, message });
    }
    if (receivedAt.getTime() > now.getTime() + FUTURE_SKEW_MS)
      problems.push({ field: 'received_at', message: 'must not be in the future' });
    const changed = Object.values(body.changes ?? {}).filter((v) => v !== undefined).length;
    if (body.type === 'rectification' && changed === 0)
      problems.push({ field: 'changes', message: 'must give the corrected phone and/or email' });
    if (body.type !== 'rectification' && body.changes !== undefined)
      problems.push({ field: 'changes', message: 'is only for rectification requests' });
    if (body.type !== 'restriction' && body.lift !== undefined)
      problems.push({ field: 'lift', message: 'is only for restriction requests' });
    return problems;
  }
}
