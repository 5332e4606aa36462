"""LightningModule + LightningDataModule for CIFAR-10: bf16 mixed precision, worker processes, pinned memory."""
import os

import lightning as L
import torch
import torch.nn.functional as F
import torchvision
from torch.utils.data import DataLoader, random_split
from torchvision import transforms


class CIFAR10DataModule(L.LightningDataModule):
    def __init__(self, data_dir="data", batch_size=256):
        super().__init__()
        self.data_dir = data_dir
        self.batch_size = batch_size
        self.num_workers = min(8, os.cpu_count() or 1)
        self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])

    def setup(self, stage=None):
        full = torchvision.datasets.CIFAR10(self.data_dir, train=True, download=True, transform=self.transform)
        self.train_set, self.val_set = random_split(full, [45000, 5000])

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True,
                          num_workers=self.num_workers, pin_memory=True, persistent_workers=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=512, num_workers=self.num_workers, pin_memory=True)


class LitResNet(L.LightningModule):
    def __init__(self, lr=0.05):
        super().__init__()
        self.save_hyperparameters()
        self.model = torchvision.models.resnet18(num_classes=10)

    def forward(self, x):
        return self.model(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_acc", (logits.argmax(1) == y).float().mean(), prog_bar=True)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9, weight_decay=5e-4)


if __name__ == "__main__":
    trainer = L.Trainer(accelerator="gpu", devices=1, precision="bf16-mixed", max_epochs=30)
    trainer.fit(LitResNet(), datamodule=CIFAR10DataModule())
