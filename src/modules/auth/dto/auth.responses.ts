import { ApiProperty } from '@nestjs/swagger';
import { SCOPES } from '../../../platform/http/scopes';
import { ROLES } from '../roles';

export class ApiKeyResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'The first characters of the key, to recognise it.' }) prefix!: string;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes!: string[];
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) last_used_at!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revoked_at!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Refused after this.' })
  expires_at!: string | null;
  @ApiProperty({ enum: ['active', 'revoked', 'expired'] }) status!: string;
}

export class CreatedApiKeyResponse extends ApiKeyResponse {
  @ApiProperty({ description: 'The key itself: shown this once, never again.' }) key!: string;
}

export class ApiKeyListResponse {
  @ApiProperty({ type: [ApiKeyResponse] }) api_keys!: ApiKeyResponse[];
}

export class UserResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ROLES }) role!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) last_login_at!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Set while locked out.' })
  locked_until!: string | null;
  @ApiProperty() disabled!: boolean;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class CreatedUserResponse extends UserResponse {
  @ApiProperty({
    required: false,
    description: 'Only when no password was given: the temporary password, shown this once.',
  })
  temporary_password?: string;
}

export class UserListResponse {
  @ApiProperty({ type: [UserResponse] }) users!: UserResponse[];
}

export class SessionUserResponse extends UserResponse {
  @ApiProperty({ enum: SCOPES, isArray: true, description: "What the user's role allows." })
  scopes!: string[];
}

export class SessionResponse {
  @ApiProperty({ type: SessionUserResponse }) user!: SessionUserResponse;
  @ApiProperty({ description: 'Send as X-CSRF-Token with every unsafe request.' }) csrf_token!: string;
}
