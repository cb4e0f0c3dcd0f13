# Sourced by edge-packaged-start.sh and edge-cold-start.sh (with ROOT and a work folder W set): the JDK,
# ONNX Runtime Java's jar and its first-result program compiled into W, MiniLM's 1x16 inputs written into
# W, the JVM options a model jar runs with (IN: the jar's --input arguments) and ms START (milliseconds since).
source <(sed -n "/^java_major()/,/^}/p" "$ROOT/fsc"); JDK="$(find_jdk)" || exit 2; JAVA="$JDK/bin/java"
ORT_JAR="$(ls ~/.m2/repository/com/microsoft/onnxruntime/onnxruntime/*/onnxruntime-*.jar | grep -v sources | sort -V | tail -1)"
MODEL=$ROOT/models/all-minilm-l6-v2.onnx
"$JDK/bin/javac" -d "$W" -cp "$ORT_JAR" "$ROOT/tests/scripts/edge/OrtFirstResult.java"
python3 -c "
import numpy as np; s=16; w='$W'
np.save(f'{w}/ids.npy', (1000+np.arange(s,dtype=np.int64)).reshape(1,s)); np.save(f'{w}/mask.npy', np.ones((1,s),np.int64)); np.save(f'{w}/tt.npy', np.zeros((1,s),np.int64))"
OPTS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC)
IN=(--input input_ids=$W/ids.npy --input attention_mask=$W/mask.npy --input token_type_ids=$W/tt.npy)
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
