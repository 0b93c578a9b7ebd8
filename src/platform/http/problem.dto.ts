import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldProblemDto {
  @ApiProperty({ example: 'name' })
  field!: string;

  @ApiProperty({ example: 'is taken' })
  message!: string;
}

/** RFC 9457 problem details (application/problem+json), as every error of the API is returned. */
export class ProblemDto {
  @ApiProperty({ example: 'https://consent-gateway.dev/problems/not_found' })
  type!: string;

  @ApiProperty({ example: 'Not Found' })
  title!: string;

  @ApiProperty({ example: 404 })
  status!: number;

  @ApiProperty({ example: 'not_found', description: "The module's error code." })
  code!: string;

  @ApiProperty()
  detail!: string;

  @ApiPropertyOptional({ type: [FieldProblemDto] })
  errors?: FieldProblemDto[];
}
