import { IsNotEmpty, IsString } from 'class-validator';

/** Body of `POST /api/files/move`. Both paths are normalized like URL paths. */
export class MoveDto {
  /** The file or folder to move, e.g. `/documents/report.pdf`. */
  @IsString()
  @IsNotEmpty()
  from: string;

  /** Where it goes; nothing may be there yet. */
  @IsString()
  @IsNotEmpty()
  to: string;
}
