"""nanoGPT-style character-level training: configuration as module globals, already energy-conscious."""
import os
from contextlib import nullcontext

import torch
from torch.utils.data import DataLoader, Dataset

from model import GPT, GPTConfig

# -----------------------------------------------------------------------------
batch_size = 64
block_size = 256
max_iters = 5000
eval_interval = 500
eval_iters = 200
learning_rate = 1e-3
num_workers = min(8, os.cpu_count() or 1)
device = 'cuda'
dtype = 'bfloat16' if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else 'float16'
# -----------------------------------------------------------------------------

device_type = 'cuda' if 'cuda' in device else 'cpu'
ptdtype = {'float32': torch.float32, 'bfloat16': torch.bfloat16, 'float16': torch.float16}[dtype]
ctx = nullcontext() if device_type == 'cpu' else torch.amp.autocast(device_type=device_type, dtype=ptdtype)
torch.backends.cuda.matmul.allow_tf32 = True


class CharDataset(Dataset):
    def __init__(self, path):
        self.data = torch.load(path)

    def __len__(self):
        return len(self.data) - block_size - 1

    def __getitem__(self, i):
        chunk = self.data[i:i + block_size + 1]
        return chunk[:-1], chunk[1:]


def make_loader(split):
    return DataLoader(CharDataset(f'data/shakespeare_char/{split}.pt'), batch_size=batch_size, shuffle=True,
                      num_workers=num_workers, pin_memory=True, persistent_workers=True, drop_last=True)


loaders = {split: make_loader(split) for split in ('train', 'val')}
model = torch.compile(GPT(GPTConfig(block_size=block_size, n_layer=6, n_head=6, n_embd=384)).to(device))
scaler = torch.amp.GradScaler('cuda', enabled=(dtype == 'float16'))
optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, fused=True)


@torch.no_grad()
def estimate_loss():
    out = {}
    model.eval()
    for split, loader in loaders.items():
        losses = []
        for k, (X, Y) in zip(range(eval_iters), loader):
            with ctx:
                _, loss = model(X.to(device, non_blocking=True), Y.to(device, non_blocking=True))
            losses.append(loss.item())
        out[split] = sum(losses) / len(losses)
    model.train()
    return out


it = 0
while it < max_iters:
    for X, Y in loaders['train']:
        if it % eval_interval == 0:
            print(f"step {it}: {estimate_loss()}")
        with ctx:
            _, loss = model(X.to(device, non_blocking=True), Y.to(device, non_blocking=True))
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        it += 1
        if it >= max_iters:
            break
