/** What the file imports, so that `DataLoader`, `data.DataLoader` and `torch.utils.data.DataLoader` are one thing. */
import type { Node } from 'web-tree-sitter';
import { calleeName } from './syntax';

export class ImportTable {
  /** Local name → fully qualified name: `nn` → `torch.nn`, `DataLoader` → `torch.utils.data.DataLoader`. */
  private readonly aliases = new Map<string, string>();
  readonly modules = new Set<string>();

  constructor(importStatements: readonly Node[]) {
    for (const statement of importStatements) {
      if (statement.type === 'import_statement') {
        for (const item of statement.namedChildren) {
          if (!item) continue;
          if (item.type === 'dotted_name') {
            this.modules.add(item.text);
            const top = item.text.split('.')[0]!;
            this.aliases.set(top, top);
          } else if (item.type === 'aliased_import') {
            const name = item.childForFieldName('name')?.text;
            const alias = item.childForFieldName('alias')?.text;
            if (name && alias) {
              this.modules.add(name);
              this.aliases.set(alias, name);
            }
          }
        }
      } else {
        const moduleName = statement.childForFieldName('module_name')?.text;
        if (!moduleName) continue;
        this.modules.add(moduleName);
        for (const item of statement.childrenForFieldName('name')) {
          if (!item) continue;
          if (item.type === 'dotted_name') this.aliases.set(item.text, `${moduleName}.${item.text}`);
          else if (item.type === 'aliased_import') {
            const name = item.childForFieldName('name')?.text;
            const alias = item.childForFieldName('alias')?.text;
            if (name && alias) this.aliases.set(alias, `${moduleName}.${name}`);
          }
        }
      }
    }
  }

  /** Expands the first segment through the imports: `nn.DataParallel` → `torch.nn.DataParallel`. */
  qualify(name: string): string {
    const dot = name.indexOf('.');
    const head = dot === -1 ? name : name.slice(0, dot);
    const expanded = this.aliases.get(head);
    if (!expanded) return name;
    return dot === -1 ? expanded : expanded + name.slice(dot);
  }

  private readonly qualified = new Map<string, string>();

  qualifiedCallee(call: Node): string | null {
    const name = calleeName(call);
    if (!name) return null;
    let result = this.qualified.get(name);
    if (result === undefined) {
      result = this.qualify(name);
      this.qualified.set(name, result);
    }
    return result;
  }

  /** Whether `name` is bound by an import: `import torch` and `import torch.nn` bind `torch`; `from torch import nn` does not. */
  binds(name: string): boolean {
    return this.aliases.has(name);
  }

  importsModule(prefix: string): boolean {
    for (const module of this.modules) if (module === prefix || module.startsWith(`${prefix}.`)) return true;
    return false;
  }
}
