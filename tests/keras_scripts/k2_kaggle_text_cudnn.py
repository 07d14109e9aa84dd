# Keras 2 Kaggle-kernel style text classifier: SpatialDropout1D after the Embedding, a
# Bidirectional(CuDNNLSTM(..., return_sequences=True)), GlobalMaxPooling1D, Dense sigmoid.
# check: acc > 0.85
import numpy as np
from keras.layers import (CuDNNLSTM, Bidirectional, Dense, Embedding, GlobalMaxPooling1D,
                          Input, SpatialDropout1D)
from keras.models import Model
from keras.preprocessing.sequence import pad_sequences

np.random.seed(2018)
max_features, maxlen, embed_size = 40, 15, 16
docs = [list(np.random.randint(2, max_features, size=np.random.randint(5, maxlen))) for _ in range(400)]
y = np.array([i % 2 for i in range(400)])
for doc, label in zip(docs, y):
    if label:
        doc[np.random.randint(len(doc))] = 1
X = pad_sequences(docs, maxlen=maxlen)
inp = Input(shape=(maxlen,))
x = Embedding(max_features, embed_size)(inp)
x = SpatialDropout1D(0.1)(x)
x = Bidirectional(CuDNNLSTM(16, return_sequences=True))(x)
x = GlobalMaxPooling1D()(x)
out = Dense(1, activation="sigmoid")(x)
model = Model(inputs=inp, outputs=out)
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X[:320], y[:320], batch_size=32, epochs=12, validation_data=(X[320:], y[320:]), verbose=0)
loss, acc = model.evaluate(X[320:], y[320:], verbose=0)
print("accuracy", acc)
