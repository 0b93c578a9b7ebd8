import { ApiProperty } from '@nestjs/swagger';

export class LivenessResponse {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ description: 'false while the process waits for a database unreachable at start.' })
  ready!: boolean;
  @ApiProperty({
    description:
      'Errors nobody handled, caught by the last-resort process guard since start (a bug when > 0).',
  })
  process_guard_hits!: number;
}

export class ReadinessResponse {
  @ApiProperty({ enum: ['ok', 'error'] }) status!: string;
  @ApiProperty({
    description:
      'Each check that passed: database (answers a ping), migrations (ran), listener (LISTEN is up).',
    example: { database: { status: 'up' }, migrations: { status: 'up' }, listener: { status: 'up' } },
  })
  info!: Record<string, { status: string }>;
  @ApiProperty({ description: 'Each check that failed, with why.' })
  error!: Record<string, { status: string; message?: string }>;
  @ApiProperty() details!: Record<string, { status: string; message?: string }>;
}
