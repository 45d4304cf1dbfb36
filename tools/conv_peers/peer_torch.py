"""PyTorch eager: the convnet's training step (Adam, cross-entropy) and inference.

    python peer_torch.py [PEER]

PEER (default "pytorch") names the lines, so run.sh can tell a run under another allocator
setting apart.
"""
import sys

import torch
from torch import nn

import common

PEER = sys.argv[1] if len(sys.argv) > 1 else "pytorch"


def model():
    # PyTorch's own layout, NCHW; Keras' softmax is folded into CrossEntropyLoss for training
    # and applied explicitly for inference.
    return nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(1600, 10),
    )


def nchw(batches):
    return [torch.from_numpy(x).permute(0, 3, 1, 2).contiguous() for x in batches]


def train(net):
    b = common.TRAIN_BATCH
    xs = nchw(common.images(b, 10))
    ys = [torch.from_numpy(y).long() for y in common.labels(b, 10)]
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    net.train()

    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(xs[i % common.DISTINCT]), ys[i % common.DISTINCT])
        loss.backward()
        opt.step()

    common.measure(PEER, "train", b, step)


def predict(net, batch):
    xs = nchw(common.images(batch, 20 + batch))
    net.eval()

    def call(i):
        with torch.inference_mode():
            torch.softmax(net(xs[i % common.DISTINCT]), dim=1)

    common.measure(PEER, "predict", batch, call)


def main():
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    net = model()
    common.check_params(PEER, sum(p.numel() for p in net.parameters()))
    train(net)
    for batch in common.PREDICT_BATCHES:
        predict(net, batch)


if __name__ == "__main__":
    main()
