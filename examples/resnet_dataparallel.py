"""ImageNet-style ResNet training on one node with nn.DataParallel; validation runs with autograd on."""
import argparse

import torch
import torch.nn as nn
import torchvision.datasets as datasets
import torchvision.models as models
import torchvision.transforms as transforms

parser = argparse.ArgumentParser(description="ResNet training (single node, all visible GPUs)")
parser.add_argument("data", nargs="?", default="/datasets/imagenet")
parser.add_argument("-a", "--arch", default="resnet50")
parser.add_argument("-j", "--workers", type=int, default=8)
parser.add_argument("-b", "--batch-size", type=int, default=256)
parser.add_argument("--epochs", type=int, default=90)
parser.add_argument("--lr", type=float, default=0.1)


def validate(model, val_loader, criterion):
    model.eval()
    correct, total_loss = 0, 0.0
    for images, target in val_loader:
        images, target = images.cuda(non_blocking=True), target.cuda(non_blocking=True)
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
            output = model(images)
            total_loss += criterion(output, target).item() * images.size(0)
        correct += (output.argmax(1) == target).sum().item()
    n = len(val_loader.dataset)
    return total_loss / n, 100.0 * correct / n


def main():
    args = parser.parse_args()
    normalize = transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), normalize])
    val_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), normalize])
    train_loader = torch.utils.data.DataLoader(datasets.ImageFolder(f"{args.data}/train", train_tf),
                                               batch_size=args.batch_size, shuffle=True,
                                               num_workers=args.workers, pin_memory=True)
    val_loader = torch.utils.data.DataLoader(datasets.ImageFolder(f"{args.data}/val", val_tf),
                                             batch_size=args.batch_size, num_workers=args.workers, pin_memory=True)

    model = nn.DataParallel(models.__dict__[args.arch]()).cuda()
    criterion = nn.CrossEntropyLoss().cuda()
    optimizer = torch.optim.SGD(model.parameters(), args.lr, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    for epoch in range(args.epochs):
        model.train()
        for images, target in train_loader:
            images, target = images.cuda(non_blocking=True), target.cuda(non_blocking=True)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                loss = criterion(model(images), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        val_loss, acc1 = validate(model, val_loader, criterion)
        print(f"epoch {epoch}: val loss {val_loss:.3f}, acc@1 {acc1:.2f}")


if __name__ == "__main__":
    main()
