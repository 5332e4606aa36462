"""Hugging Face Accelerate fine-tuning loop (MRPC); bf16 via Accelerator, but loaders are single-process and unpinned."""
import torch
from accelerate import Accelerator
from datasets import load_dataset
from torch.utils.data import DataLoader
from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, get_linear_schedule_with_warmup

MODEL_NAME = "bert-base-cased"
EPOCHS = 3
BATCH_SIZE = 32


def main():
    accelerator = Accelerator(mixed_precision="bf16")
    tokenizer = AutoTokenizer.from_pretrained(MODEL_NAME)
    raw = load_dataset("glue", "mrpc")
    ds = raw.map(lambda b: tokenizer(b["sentence1"], b["sentence2"], truncation=True, max_length=128),
                 batched=True, remove_columns=["idx", "sentence1", "sentence2"]).rename_column("label", "labels")
    collator = DataCollatorWithPadding(tokenizer)
    train_dataloader = DataLoader(ds["train"], shuffle=True, batch_size=BATCH_SIZE, collate_fn=collator)
    eval_dataloader = DataLoader(ds["validation"], batch_size=64, collate_fn=collator)

    model = AutoModelForSequenceClassification.from_pretrained(MODEL_NAME, num_labels=2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
    scheduler = get_linear_schedule_with_warmup(optimizer, 100, len(train_dataloader) * EPOCHS)
    model, optimizer, train_dataloader, eval_dataloader, scheduler = accelerator.prepare(
        model, optimizer, train_dataloader, eval_dataloader, scheduler)

    for epoch in range(EPOCHS):
        model.train()
        for batch in train_dataloader:
            loss = model(**batch).loss
            accelerator.backward(loss)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()

        model.eval()
        correct, total = 0, 0
        for batch in eval_dataloader:
            with torch.no_grad():
                logits = model(**batch).logits
            preds, refs = accelerator.gather_for_metrics((logits.argmax(-1), batch["labels"]))
            correct += (preds == refs).sum().item()
            total += refs.numel()
        accelerator.print(f"epoch {epoch}: accuracy {correct / total:.4f}")


if __name__ == "__main__":
    main()
