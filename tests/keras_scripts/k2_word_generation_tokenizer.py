# Keras 2 word-level text generation: keras.preprocessing.text.Tokenizer, n-gram sequences,
# pad_sequences, to_categorical, Embedding + LSTM, then greedy generation from a seed text.
# check: accuracy > 0.7 and len(generated.split()) == 8
import numpy as np
from keras.layers import LSTM, Dense, Embedding
from keras.models import Sequential
from keras.preprocessing.sequence import pad_sequences
from keras.preprocessing.text import Tokenizer
from keras.utils import to_categorical

data = """Jack and Jill went up the hill
To fetch a pail of water
Jack fell down and broke his crown
And Jill came tumbling after"""
tokenizer = Tokenizer()
tokenizer.fit_on_texts([data])
vocab_size = len(tokenizer.word_index) + 1
print("Vocabulary Size: %d" % vocab_size)
sequences = list()
for line in data.split("\n"):
    encoded = tokenizer.texts_to_sequences([line])[0]
    for i in range(1, len(encoded)):
        sequences.append(encoded[: i + 1])
max_length = max([len(seq) for seq in sequences])
sequences = pad_sequences(sequences, maxlen=max_length, padding="pre")
X, y = sequences[:, :-1], sequences[:, -1]
y = to_categorical(y, num_classes=vocab_size)
model = Sequential()
model.add(Embedding(vocab_size, 10, input_length=max_length - 1))
model.add(LSTM(50))
model.add(Dense(vocab_size, activation="softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = model.fit(X, y, epochs=150, verbose=0)
accuracy = history.history["accuracy"][-1]


def generate_seq(model, tokenizer, max_length, seed_text, n_words):
    in_text = seed_text
    for _ in range(n_words):
        encoded = tokenizer.texts_to_sequences([in_text])[0]
        encoded = pad_sequences([encoded], maxlen=max_length, padding="pre")
        yhat = np.argmax(model.predict(encoded, verbose=0), axis=-1)
        out_word = ""
        for word, index in tokenizer.word_index.items():
            if index == yhat:
                out_word = word
                break
        in_text += " " + out_word
    return in_text


generated = generate_seq(model, tokenizer, max_length - 1, "Jack and", 6)
print(generated)
