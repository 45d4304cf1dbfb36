"""What a Python user would run: ONNX Runtime behind FastAPI, the KServe v2 infer endpoint.

    MODEL=mnist MODEL_ONNX=mnist.onnx uvicorn server:app

`MODEL` is the name in the URL; the input's sample shape is the ONNX model's.

Requests and answers are pydantic models, as FastAPI's documentation writes them.
"""

import os

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

options = ort.SessionOptions()
options.intra_op_num_threads = 1
session = ort.InferenceSession(os.environ["MODEL_ONNX"], options, providers=["CPUExecutionProvider"])
MODEL = os.environ["MODEL"]
SAMPLE = session.get_inputs()[0].shape[1:]
app = FastAPI()


class Tensor(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    data: list[float]


class InferRequest(BaseModel):
    id: str | None = None
    inputs: list[Tensor]


class InferResponse(BaseModel):
    model_name: str
    model_version: str
    id: str | None = None
    outputs: list[Tensor]


@app.post("/v2/models/{name}/infer")
def infer(name: str, request: InferRequest) -> InferResponse:
    if name != MODEL:
        raise HTTPException(404, f"unknown model {name}")
    tensor = request.inputs[0]
    if tensor.datatype != "FP32" or tensor.shape[1:] != SAMPLE:
        raise HTTPException(400, f"expected FP32 [N, {SAMPLE}]")
    x = np.asarray(tensor.data, np.float32).reshape(tensor.shape)
    (y,) = session.run(None, {"input": x})
    out = Tensor(name="output", shape=list(y.shape), datatype="FP32", data=y.ravel().tolist())
    return InferResponse(model_name=name, model_version="1", id=request.id, outputs=[out])
