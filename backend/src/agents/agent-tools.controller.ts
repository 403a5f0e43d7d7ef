import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, ValidateNested } from 'class-validator';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import type { UserPrincipal } from '../auth/principal';
import { ApiErrors } from '../common/errors/api-errors.decorator';
import { ParseUuidPipe } from '../common/http/parse-uuid.pipe';
import { AgentToolDto } from '../workflows/dto/agent-tool.dto';
import { AgentToolsService, ToolTestResult } from './agent-tools.service';

export class ToolTestDto {
  @ApiProperty({ type: AgentToolDto, description: 'A tool definition; "***" header values are filled from the stored tool with the same name' })
  @IsDefined()
  @ValidateNested()
  @Type(() => AgentToolDto)
  tool: AgentToolDto;
}

class ListedToolDto {
  @ApiProperty() name: string;
  @ApiPropertyOptional() description?: string;
}

export class ToolTestResultDto {
  @ApiProperty({ description: 'Whether the tool could be reached' }) ok: boolean;
  @ApiPropertyOptional({ description: 'http tools: the status of a HEAD request to the URL' }) status?: number;
  @ApiPropertyOptional({ type: [ListedToolDto], description: 'mcp tools: what the server lists (after allowedTools)' }) tools?: ListedToolDto[];
  @ApiPropertyOptional({ description: 'When ok is false: outbound_url_refused, tool_schema_invalid, tool_unreachable, tool_timeout…' }) code?: string;
  @ApiPropertyOptional() message?: string;
}

@ApiTags('workflows')
@Auth('jwt')
@Controller('api/workflows')
export class AgentToolsController {
  constructor(private readonly tools: AgentToolsService) {}

  @Post(':id/tools/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Test an agent tool’s connection (MCP: list its tools); nothing is called with arguments' })
  @ApiOkResponse({ type: ToolTestResultDto })
  @ApiErrors('validation_failed', 'not_found')
  async test(@CurrentPrincipal() user: UserPrincipal, @Param('id', ParseUuidPipe) id: string, @Body() dto: ToolTestDto): Promise<ToolTestResult> {
    return this.tools.test(user, id, dto.tool);
  }
}
