import pandas as pd
# data url in ArcGIS Hub
data_url ="https://opendata.arcgis.com/api/v3/datasets/aaf4274109f34ffd93ac71267c5b276e_0/downloads/data?format=csv&spatialRefId=4326&where=1%3D1"
data = pd.read_csv(data_url, index_col=0, nrows=1000)
data.to_csv("outputs/Motorized-Foot-Scooter-Trips-2018.csv", index=False)
