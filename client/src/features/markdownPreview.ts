/**
 * Opens generated Markdown (an estimate's detail, a comparison of two runs) as a rendered preview beside the editor,
 * falling back to the Markdown text where the built-in preview is unavailable.
 */
import * as vscode from 'vscode';

export async function showMarkdownBeside(uri: vscode.Uri): Promise<void> {
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.languages.setTextDocumentLanguage(document, 'markdown');
  try {
    await vscode.commands.executeCommand('markdown.showPreviewToSide', uri);
  } catch {
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  }
}
