import ArtifactStore
import Foundation
import LinearAlgebra
import Models
import MovieLens

import TestSupport

