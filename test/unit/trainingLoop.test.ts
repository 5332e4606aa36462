/**
 * TRAIN-LOOP through a directly called local function (server/src/analysis/trainingLoop.ts), and which step loops
 * run in mixed precision (server/src/analysis/mixedPrecision.ts): each loop judged on its own.
 */
import assert from 'node:assert/strict';
import { AnalysisContext } from '../../server/src/analysis/context';
import { loopsInMixedPrecision } from '../../server/src/analysis/mixedPrecision';
import type { StepLoop } from '../../server/src/analysis/trainingLoop';
import { pythonParser } from './analyze';

interface LoopSummary {
  line: number;
  backward: number[];
  via: string[];
  mixed: boolean;
}

async function stepLoops(text: string): Promise<LoopSummary[]> {
  const tree = (await pythonParser()).parse(text)!;
  try {
    const context = new AnalysisContext(tree, text, 'file:///test.py');
    const loops: StepLoop[] = context.stepLoops();
    const mixed = loopsInMixedPrecision(context, loops);
    return loops.map((step) => ({
      line: step.loop.startPosition.row + 1,
      backward: step.backwardCalls.map((call) => call.startPosition.row + 1),
      via: step.stepFunctions.map((fn) => fn.childForFieldName('name')?.text ?? ''),
      mixed: mixed.has(step.loop.id),
    }));
  } finally {
    tree.delete();
  }
}

const STEP_FUNCTION = `import torch
model = torch.nn.Linear(4, 4).cuda()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

def train():
    optimizer.zero_grad()
    loss = model(torch.randn(2, 4, device="cuda")).sum()
    loss.backward()
    optimizer.step()
    return float(loss)

for epoch in range(10):
    loss = train()
`;

describe('training loops: step functions', () => {
  it('a loop that calls a local function holding backward and step is the step loop, its backward in the function', async () => {
    assert.deepEqual(await stepLoops(STEP_FUNCTION), [{ line: 12, backward: [8], via: ['train'], mixed: false }]);
  });

  it('a function with its own step loop is not a step function: the loop inside it is the step loop', async () => {
    const text = `def train_epoch(model, loader, optimizer):
    for x, y in loader:
        loss = model(x).sum()
        loss.backward()
        optimizer.step()

for epoch in range(3):
    train_epoch(model, loader, optimizer)
`;
    assert.deepEqual(await stepLoops(text), [{ line: 2, backward: [4], via: [], mixed: false }]);
  });

  it('methods, calls that are not by bare name, names defined twice, and recursion do not count', async () => {
    const text = `class Trainer:
    def step(self):
        self.loss.backward()
        self.optimizer.step()

    def fit(self):
        for _ in range(10):
            self.step()

def train():
    loss.backward()
    optimizer.step()

def train():
    pass

def helper():
    loss.backward()
    optimizer.step()
    for _ in range(3):
        helper()

for epoch in range(10):
    train()
    utils.helper()
`;
    assert.deepEqual(await stepLoops(text), []);
  });

  it("a local function defined in the caller's function is found before a module-level one of the same name", async () => {
    const text = `def step():
    pass

def main():
    def step():
        loss.backward()
        optimizer.step()
    for batch in loader:
        step()
`;
    assert.deepEqual(await stepLoops(text), [{ line: 8, backward: [6], via: ['step'], mixed: false }]);
  });
});

describe('training loops: mixed precision per loop', () => {
  it('autocast and a scaler in one loop do not cover another loop of the file', async () => {
    const text = `import torch
for x in loader:
    loss = model(x.cuda()).sum()
    loss.backward()
    opt.step()

scaler = torch.cuda.amp.GradScaler()
for x in loader:
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = model(x.cuda()).sum()
    scaler.scale(loss).backward()
    scaler.step(opt)
`;
    assert.deepEqual((await stepLoops(text)).map((loop) => [loop.line, loop.mixed]), [[2, false], [8, true]]);
  });

  it('autocast in a step function covers the loop that calls it', async () => {
    const text = STEP_FUNCTION.replace('    loss = model(', '    with torch.autocast("cuda"):\n        loss = model(');
    assert.deepEqual((await stepLoops(text)).map((loop) => loop.mixed), [true]);
  });

  it('a sign tied to no loop (autocast in the model, a global default dtype) covers every loop', async () => {
    const inForward = `import torch
class Net(torch.nn.Module):
    def forward(self, x):
        with torch.autocast("cuda"):
            return self.fc(x)
for x in a:
    model(x).sum().backward()
    opt.step()
for x in b:
    model(x).sum().backward()
    opt.step()
`;
    assert.deepEqual((await stepLoops(inForward)).map((loop) => loop.mixed), [true, true]);
    const defaultDtype = `import torch
torch.set_default_dtype(torch.bfloat16)
for x in a:
    model(x).sum().backward()
    opt.step()
for x in b:
    with torch.autocast("cuda"):
        loss = model(x).sum()
    loss.backward()
    opt.step()
`;
    assert.deepEqual((await stepLoops(defaultDtype)).map((loop) => loop.mixed), [true, true]);
  });

  it('a model cast to half covers the loops that train it, not one that ran before the cast', async () => {
    const text = `import torch
for x in loader:
    model(x).sum().backward()
    opt.step()
model.half()
for x in loader:
    model(x.half()).sum().backward()
    opt.step()
`;
    assert.deepEqual((await stepLoops(text)).map((loop) => [loop.line, loop.mixed]), [[2, false], [6, true]]);
  });
});
