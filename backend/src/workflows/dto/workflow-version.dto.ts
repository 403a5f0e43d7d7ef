import { ApiProperty } from '@nestjs/swagger';
import { RunnerDto, WorkflowResponseDto } from './workflow.dto';

export class WorkflowVersionDto {
  @ApiProperty({ minimum: 1, example: 3 }) version: number;
  @ApiProperty({ type: RunnerDto, description: 'The runner as it was published (tool header values shown as `***`)' }) runner: RunnerDto;
  @ApiProperty({ description: 'This is the version the public runs' }) published: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) createdBy: string | null;
}

export class WorkflowVersionPageDto {
  @ApiProperty({ type: [WorkflowVersionDto] }) data: WorkflowVersionDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

/** The answer of publishing the draft or rolling back: the workflow and the version now published. */
export class VersionChangeDto {
  @ApiProperty({ type: WorkflowResponseDto }) workflow: WorkflowResponseDto;
  @ApiProperty({ type: WorkflowVersionDto }) version: WorkflowVersionDto;
}
