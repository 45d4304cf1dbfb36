"""Keras 3's EarlyStopping driven as `fit` drives it, with the weights set to the epoch's index
before each epoch ends: which weights it leaves, and where it stops. The cases of
src/train/callbacks.rs's `early_stopping_waits_patience_epochs_and_restores_the_best`.

    bash tools/keras_reference/run.sh early_stopping.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402


def run(stopper, values):
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1, use_bias=False)])
    model.stop_training = False
    stopper.set_model(model)
    stopper.on_train_begin()
    for epoch, value in enumerate(values):
        model.set_weights([np.array([[float(epoch)]])])
        stopper.on_epoch_begin(epoch)
        stopper.on_epoch_end(epoch, {"val_loss": value})
        if model.stop_training:
            break
    stopper.on_train_end()
    stopped = stopper.stopped_epoch if stopper.stopped_epoch > 0 else None
    return stopped, float(model.get_weights()[0][0, 0])


print(f"keras {keras.__version__}")
values = [1.0, 0.5, 0.6, 0.55, 0.7, 0.1]
print("patience 2:", run(keras.callbacks.EarlyStopping("val_loss", patience=2), values))
best = keras.callbacks.EarlyStopping("val_loss", patience=2, restore_best_weights=True)
print("patience 2, restore:", run(best, values))
never = keras.callbacks.EarlyStopping("val_loss", patience=3, restore_best_weights=True)
print("patience 3, restore, never stops:", run(never, [1.0, 0.5, 0.6, 0.55]))
print("the same again:", run(never, [0.9, 0.8]), "best", never.best, never.best_epoch)
