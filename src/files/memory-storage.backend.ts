import { Readable } from 'node:stream';

import { childOf, isSameOrInside, nameOf, parentOf, ROOT } from './file-path.js';
import { StorageBackend } from './storage-backend.js';
import type { EntryInfo, StagedFile } from './storage-backend.js';
import {
  fileNotFound,
  moveIntoSelf,
  notAFile,
  notAFolder,
  parentIsAFile,
  rootIsFixed,
  targetExists,
} from './storage.errors.js';

interface FileNode {
  type: 'file';
  data: Buffer;
  modified: Date;
}

interface FolderNode {
  type: 'folder';
  children: Map<string, StoredNode>;
  modified: Date;
}

type StoredNode = FileNode | FolderNode;

class MemoryStagedFile implements StagedFile {
  constructor(readonly data: Buffer) {}

  get size(): number {
    return this.data.length;
  }
}

/**
 * Keeps everything in process memory, with the same semantics as the local
 * backend: folders exist implicitly (writing `/a/b/c.txt` creates `/a` and
 * `/a/b`), deleting a folder deletes everything under it, and a move never
 * replaces what is already at the target. Contents are lost on restart.
 */
export class MemoryStorageBackend extends StorageBackend {
  readonly kind = 'memory';

  private readonly root: FolderNode = folderNode();

  async init(): Promise<void> {}

  async stat(path: string): Promise<EntryInfo | undefined> {
    const node = this.find(path);
    return node && entryOf(path, node);
  }

  async list(path: string): Promise<EntryInfo[]> {
    const folder = this.folderAt(path);
    const names = [...folder.children.keys()].sort();
    return names.map((name) => entryOf(childOf(path, name), folder.children.get(name)!));
  }

  async read(path: string): Promise<Readable> {
    const node = this.find(path);
    if (!node) {
      throw fileNotFound(path);
    }

    if (node.type === 'folder') {
      throw notAFile(path);
    }

    return Readable.from(node.data.length > 0 ? [node.data] : [], { objectMode: false });
  }

  async stage(body: Readable): Promise<StagedFile> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    }
    return new MemoryStagedFile(Buffer.concat(chunks));
  }

  async commit(staged: StagedFile, path: string): Promise<void> {
    const data = ownStaged(staged).data;
    const parent = this.makeFolders(parentOf(path), path);
    const existing = parent.children.get(nameOf(path));
    if (existing?.type === 'folder') {
      throw targetExists(path, 'A folder');
    }

    parent.children.set(nameOf(path), { type: 'file', data, modified: new Date() });
    parent.modified = new Date();
  }

  async discard(staged: StagedFile): Promise<void> {
    ownStaged(staged);
  }

  async remove(path: string): Promise<void> {
    if (path === ROOT) {
      throw rootIsFixed('deleted');
    }

    const parent = this.find(parentOf(path));
    if (parent?.type !== 'folder' || !parent.children.delete(nameOf(path))) {
      throw fileNotFound(path);
    }

    parent.modified = new Date();
  }

  async move(from: string, to: string): Promise<void> {
    if (from === ROOT) {
      throw rootIsFixed('moved');
    }

    if (isSameOrInside(to, from)) {
      throw moveIntoSelf(from, to);
    }

    const node = this.find(from);
    if (!node) {
      throw fileNotFound(from);
    }

    if (this.find(to)) {
      throw targetExists(to);
    }

    this.relink(node, from, to);
  }

  async probe(): Promise<void> {}

  private relink(node: StoredNode, from: string, to: string): void {
    const target = this.makeFolders(parentOf(to), to);
    const source = this.find(parentOf(from)) as FolderNode;
    source.children.delete(nameOf(from));
    target.children.set(nameOf(to), node);
    source.modified = new Date();
    target.modified = new Date();
  }

  private find(path: string): StoredNode | undefined {
    let node: StoredNode | undefined = this.root;
    for (const name of segmentsOf(path)) {
      node = node?.type === 'folder' ? node.children.get(name) : undefined;
    }
    return node;
  }

  private folderAt(path: string): FolderNode {
    const node = this.find(path);
    if (!node) {
      throw fileNotFound(path);
    }

    if (node.type === 'file') {
      throw notAFolder(path);
    }

    return node;
  }

  /** The folder at `folder`, created with its parents as needed, for writing `target`. */
  private makeFolders(folder: string, target: string): FolderNode {
    let current = this.root;
    for (const name of segmentsOf(folder)) {
      const next: StoredNode = current.children.get(name) ?? folderNode();
      if (next.type === 'file') {
        throw parentIsAFile(target);
      }

      current.children.set(name, next);
      current = next;
    }
    return current;
  }
}

function folderNode(): FolderNode {
  return { type: 'folder', children: new Map(), modified: new Date() };
}

function segmentsOf(path: string): string[] {
  return path.split('/').filter((name) => name !== '');
}

function entryOf(path: string, node: StoredNode): EntryInfo {
  return {
    path,
    name: nameOf(path),
    type: node.type,
    size: node.type === 'file' ? node.data.length : 0,
    modified: node.modified.toISOString(),
  };
}

function ownStaged(staged: StagedFile): MemoryStagedFile {
  if (!(staged instanceof MemoryStagedFile)) {
    throw new TypeError('This staged file was not staged by the memory backend');
  }

  return staged;
}
