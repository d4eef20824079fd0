import {
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  Length,
  Max,
} from 'class-validator';

/** Ten years: longer than any share is meant to live. */
export const MAX_SHARE_HOURS = 87_600;

/** Body of `POST /api/shares`. */
export class CreateShareDto {
  /** The file to share, e.g. `/documents/report.pdf`. */
  @IsString()
  @IsNotEmpty()
  path: string;

  /**
   * Password a download must give (header `X-Share-Password` or `?password=`).
   * @default undefined (no password)
   */
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  password?: string;

  /**
   * Hours until the link stops working; fractions allowed.
   * @default undefined (never expires)
   */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(MAX_SHARE_HOURS)
  expires_in_hours?: number;

  /**
   * Downloads allowed through the link.
   * @default undefined (unlimited)
   */
  @IsOptional()
  @IsInt()
  @IsPositive()
  @Max(Number.MAX_SAFE_INTEGER)
  max_downloads?: number;
}
