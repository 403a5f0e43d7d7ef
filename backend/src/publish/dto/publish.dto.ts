import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsDefined, ValidateIf } from 'class-validator';
import { WorkflowResponseDto } from '../../workflows/dto/workflow.dto';

export class PublishRequestDto {
  @ApiPropertyOptional({ default: false, description: 'Visitors must sign in with OpenID Connect' })
  // Optional, but not nullable: `null` is refused rather than stored.
  @ValidateIf((_, value) => value !== undefined)
  @IsBoolean()
  requireLogin?: boolean;
}

export class LoginRequirementDto {
  @ApiProperty()
  @IsDefined()
  @IsBoolean()
  requireLogin: boolean;
}

export class IssuedLinkDto {
  @ApiProperty({ type: WorkflowResponseDto }) workflow: WorkflowResponseDto;

  @ApiProperty({ example: 'pub_…', description: 'Shown once: store it now; no endpoint returns it again' })
  publishToken: string;

  @ApiProperty({ example: 'http://localhost:3000/chat/<id>#token=pub_…', description: 'The token rides in the URL fragment' })
  shareUrl: string;
}

export class PublicWorkflowDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() requireLogin: boolean;
}

export class AuditActorDto {
  @ApiProperty({ enum: ['user', 'system'] }) kind: string;
  @ApiProperty({ type: String, nullable: true }) id: string | null;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({
    enum: [
      'workflow.published',
      'workflow.publish_rotated',
      'workflow.publish_revoked',
      'workflow.login_requirement_changed',
      'workflow.allowed_origins_changed',
      'workflow.version_published',
      'workflow.version_rolled_back',
      'workflow.deleted',
      'workflow.server_key_created',
      'workflow.server_key_revoked',
      'workflow.host_session_revoked',
      'workflow.webhook_secret_rotated',
      'agent.tool_call.approved',
      'agent.tool_call.denied',
    ],
  })
  action: string;
  @ApiProperty({ type: AuditActorDto }) actor: AuditActorDto;
  @ApiProperty({ format: 'date-time' }) occurredAt: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Tokens appear masked: `pub_…` + last 4 characters of the hash' })
  metadata: Record<string, unknown>;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) data: AuditEventDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
