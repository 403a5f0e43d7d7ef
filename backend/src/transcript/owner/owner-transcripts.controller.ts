import { Controller, Delete, Get, HttpCode, Param, Query, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { once } from 'node:events';
import { Auth, CurrentPrincipal } from '../../auth/auth.decorators';
import type { UserPrincipal } from '../../auth/principal';
import { ApiErrors } from '../../common/errors/api-errors.decorator';
import { ParseUuidPipe } from '../../common/http/parse-uuid.pipe';
import { ExportQueryDto, TranscriptDetailDto, TranscriptItemsQueryDto, TranscriptPageDto, TranscriptQueryDto } from './owner-transcripts.dto';
import { ExportRow, OwnerTranscriptsService } from './owner-transcripts.service';

export const CSV_COLUMNS = [
  'thread_id',
  'thread_title',
  'principal_kind',
  'principal_label',
  'thread_created_at',
  'item_id',
  'item_type',
  'item_created_at',
  'role',
  'text',
] as const;

/** RFC 4180 field; formula-looking cells are prefixed so spreadsheets never evaluate them. */
export function csvField(value: string | null): string {
  let v = value ?? '';
  if (/^[=+\-@\t\r]/.test(v)) v = `'${v}`;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvLine(r: ExportRow): string {
  return (
    [r.threadId, r.threadTitle, r.principalKind, r.principalLabel, r.threadCreatedAt, r.itemId, r.itemType, r.itemCreatedAt, r.role, r.text]
      .map(csvField)
      .join(',') + '\r\n'
  );
}

@ApiTags('transcripts')
@Auth('jwt')
@Controller('api/workflows/:id/transcripts')
export class OwnerTranscriptsController {
  constructor(private readonly transcripts: OwnerTranscriptsService) {}

  @Get()
  @ApiOperation({ summary: 'List the workflow’s chat threads (every visitor, signed-in person and canvas chat), newest first' })
  @ApiOkResponse({ type: TranscriptPageDto })
  @ApiErrors('validation_failed', 'not_found')
  list(@CurrentPrincipal() user: UserPrincipal, @Param('id', ParseUuidPipe) id: string, @Query() query: TranscriptQueryDto): Promise<TranscriptPageDto> {
    return this.transcripts.list(user.userId, id, query);
  }

  @Get('export')
  @ApiOperation({ summary: 'Export every visible message as JSON Lines or CSV, streamed' })
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOkResponse({ description: 'JSONL: one object per item; CSV columns: ' + CSV_COLUMNS.join(', ') })
  @ApiErrors('validation_failed', 'not_found')
  async export(
    @CurrentPrincipal() user: UserPrincipal,
    @Param('id', ParseUuidPipe) id: string,
    @Query() query: ExportQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    await this.transcripts.assertOwned(user.userId, id);
    const csv = query.format === 'csv';
    res.status(200);
    res.setHeader('Content-Type', csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="transcripts-${id}.${query.format}"`);
    res.setHeader('Cache-Control', 'no-store');
    if (csv) res.write(CSV_COLUMNS.join(',') + '\r\n');
    let aborted = false;
    res.on('close', () => (aborted = !res.writableFinished));
    try {
      for await (const row of this.transcripts.exportRows(id)) {
        if (aborted) return;
        const chunk = csv ? csvLine(row) : JSON.stringify(row) + '\n';
        if (!res.write(chunk)) await once(res, 'drain');
      }
      res.end();
    } catch (err) {
      // Headers are gone: cut the stream so the client sees an incomplete download, not a valid file.
      res.destroy(err as Error);
    }
  }

  @Get(':threadId')
  @ApiOperation({
    summary: 'One thread’s visible items in order, a page at a time, with feedback',
    description: 'Pages of `limit` items (default 500, at most 1000); follow `nextCursor` until it is null. For bulk reads use the export.',
  })
  @ApiOkResponse({ type: TranscriptDetailDto })
  @ApiErrors('validation_failed', 'not_found')
  get(
    @CurrentPrincipal() user: UserPrincipal,
    @Param('id', ParseUuidPipe) id: string,
    @Param('threadId') threadId: string,
    @Query() query: TranscriptItemsQueryDto,
  ): Promise<TranscriptDetailDto> {
    return this.transcripts.get(user.userId, id, threadId, query);
  }

  @Delete(':threadId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a thread with its items, attachments and feedback' })
  @ApiNoContentResponse()
  @ApiErrors('validation_failed', 'not_found')
  async delete(@CurrentPrincipal() user: UserPrincipal, @Param('id', ParseUuidPipe) id: string, @Param('threadId') threadId: string): Promise<void> {
    await this.transcripts.delete(user.userId, id, threadId);
  }
}
